"""One plotly template for every figure, so pages look alike and restyle in one place."""
import plotly.graph_objects as go
import plotly.io as pio

CLOSED_FORM = "#1f5fa8"   # theory / closed form: lines
AUTOGRAD = "#e8710a"      # measured by autograd: markers
OVERFLOW = "#c62828"      # inf / NaN
SERIES = ("#1f5fa8", "#e8710a", "#2e7d32", "#8e24aa", "#00838f", "#c62828", "#6d4c41",
          "#5c6bc0", "#9e9d24", "#d81b60", "#546e7a", "#f9a825", "#00695c", "#4e342e",
          "#283593", "#ad1457")

pio.templates["gradlab"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13),
        colorway=SERIES,
        margin=dict(l=60, r=20, t=80, b=50),
        plot_bgcolor="white",
        paper_bgcolor="white",
        xaxis=dict(gridcolor="#e6e6e6", zeroline=False, showline=True, linecolor="#999"),
        yaxis=dict(gridcolor="#e6e6e6", zeroline=False, showline=True, linecolor="#999",
                   automargin=True),  # room for tick labels like 10⁻²⁴
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0),
        hoverlabel=dict(namelength=-1),
    )
)
TEMPLATE = "gradlab"
