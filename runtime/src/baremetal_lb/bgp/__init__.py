"""BGP announcements for the speaker: a model of what one node announces to whom, and engines
(FRR today) that turn it into sessions on the wire. Knows nothing of Kubernetes objects: the
configuration model (baremetal_lb.config) builds peers and profiles, the speaker the rest."""
