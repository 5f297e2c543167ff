from aigcert.cli import main

main()
