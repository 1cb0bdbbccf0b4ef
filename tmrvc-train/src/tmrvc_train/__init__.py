"""tmrvc_train package."""
