"""BGP announcements for the speaker: a model of what one node announces to whom, and engines
(FRR today) that turn it into sessions on the wire. Knows nothing of Kubernetes objects except in
`from_crds`, which translates metallb.io dicts into the model."""
