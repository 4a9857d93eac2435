"""The reference ALwrity backend: a FastAPI service that shows scaling mechanisms done right.

It never imports scalectl. Build the app with ``target_app.app.create_app(Settings.from_env())``;
run replicas with ``python -m target_app.serve``. Every knob is an environment variable, see
``target_app.config`` and docs/target_app.md.
"""
