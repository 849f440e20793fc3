"""The pages, one module (or folder) each. Importing one builds the Dash app first:
dash.register_page needs the app, and building it imports every page."""
import app.main  # noqa: F401
