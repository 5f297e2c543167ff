import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigcert.settings")
application = get_wsgi_application()

# What loading Django and the apps made lives as long as the process. Frozen, the collector no longer walks those
# ~130,000 objects on every full collection (75 ms each here, with the GIL held, so the worker's other threads
# wait too); reference counting still frees them if they ever go. ADR 0015.
gc.collect()
gc.freeze()
