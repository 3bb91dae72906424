"""RQ workers: delivering replies and broadcasts through a transport."""
