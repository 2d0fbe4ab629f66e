"""Names a script on another host, which the portal does not load."""

from dash import Dash, html

app = Dash(__name__, external_scripts=["https://cdn.example.com/widget.js"])
app.layout = html.Div("cdn", id="cdn")
