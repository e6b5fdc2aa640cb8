"""Unit tests of exposure_lab.images: only the pure parts (no buildah, Go or mmdebstrap run)."""
