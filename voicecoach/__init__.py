"""voicecoach: a hands-free, offline voice coach for low back and hip stretches."""

__version__ = "0.1.0"
