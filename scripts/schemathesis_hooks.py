"""Schemathesis hooks for the API fuzzing (scripts/api-fuzz.sh): a recorded video is sent
as raw bytes, as an image is (Schemathesis has no serializer of its own for video/*)."""

import schemathesis

for media_type in ("video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo"):
    schemathesis.serializer.alias(media_type, "application/octet-stream")
