#!/usr/bin/env python
import sys

from aigcert.cli import manage

if __name__ == "__main__":
    manage(sys.argv)
