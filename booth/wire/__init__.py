"""The wire format both sides speak: protocol, manifests, age streams, USB hand-over."""
