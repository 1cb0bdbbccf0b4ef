"""tmrvc_data package."""
