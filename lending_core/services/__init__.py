"""Service functions (keyword-only) that apply the lending rules inside one database transaction."""
