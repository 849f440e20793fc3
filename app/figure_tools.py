"""What every figure box offers beyond the figure (components.layout.graph): its CSV.

One clientside callback serves every figure on every page, embeds included: the CSV is built
in the browser from the traces plotly.js plotted (assets/gradlab.js `figureCsv`), so it holds
exactly the plotted numbers and costs the server nothing; dcc.Download saves it.
"""
from dash import MATCH, ClientsideFunction, Input, Output, clientside_callback

clientside_callback(
    ClientsideFunction(namespace="gradlab", function_name="figureCsv"),
    Output({"type": "figure-csv", "figure": MATCH}, "data"),
    Input({"type": "figure-csv-button", "figure": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)
