"""Every write of the collections domain, one function per business action."""
