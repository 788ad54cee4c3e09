"""The service manager's dashboards: figures over claims, computed in the database."""
