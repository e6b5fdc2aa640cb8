"""The speaker: announces allocated Service IPs from this node, by layer 2 (ARP/NDP) and, with a
BGP engine, by BGP. speaker.py runs the loop; layer2.py and bgp.py are the protocols."""

from .layer2 import Layer2Options
from .speaker import Speaker, SpeakerOptions

__all__ = ["Layer2Options", "Speaker", "SpeakerOptions"]
