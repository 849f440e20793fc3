"""/: what GradLab is, and a link to every page."""
import dash
from dash import dcc, html, register_page

register_page(__name__, path="/", name="Home", title="GradLab", order=0)

def layout(**_query):
    pages = [p for p in dash.page_registry.values()
             if p["path"] != "/" and not p.get("hidden_from_menu")]
    return html.Div(className="page home", children=[
        html.H1("GradLab"),
        html.P("GradLab makes vanishing and exploding gradients visible: every page computes "
               "the mathematics live and plots what the theory predicts next to what the code "
               "measures. Move a slider and watch a product of many factors shrink to nothing "
               "or blow up.", className="lead"),
        dcc.Link("Start the guided tour →", href=dash.get_relative_path("/tour"),
                 className="cta", id="home-tour"),
        html.Ul(className="page-list", children=[
            html.Li([dcc.Link(p["name"], href=p["relative_path"]),
                     html.Span(" — " + p["description"])]) for p in pages
        ]),
    ])
