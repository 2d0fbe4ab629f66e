from dash import Dash

app = Dash(__name__, use_pages=True, title="Pages C")
