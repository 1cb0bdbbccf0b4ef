"""tmrvc_core package."""
