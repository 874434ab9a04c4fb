"""The application's own settings (production: DEBUG off, the environment's database) with the
bench's URLs on top; see bench/http_urls.py."""

import warnings

from handbook_review.settings import *  # noqa: F403

# WhiteNoise warns that STATIC_ROOT was never collected; the bench serves no static files.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

ROOT_URLCONF = "bench.http_urls"
