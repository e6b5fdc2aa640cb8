"""The speaker: announces allocated Service IPs from this node (layer 2 now, BGP next)."""

from .speaker import Speaker, SpeakerOptions

__all__ = ["Speaker", "SpeakerOptions"]
