"""tmrvc_export package."""
