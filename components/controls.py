"""Controls built from parameter specs, so a control and its validation never disagree."""
from dash import dcc, html

from components.params import Choice, ChoiceList, Number


def control_id(page: str, name: str) -> str:
    """The one place a control's component id is spelled."""
    return f"{page}-{name}"


def control(page: str, param, value):
    """The control a parameter's spec asks for (its type, `widget`, `labels`, `live`)."""
    if isinstance(param, Number):
        if param.widget == "box":
            return number_box(page, param, value)
        return slider(page, param, value, updatemode="drag" if param.live else "mouseup")
    if isinstance(param, ChoiceList):
        return checklist(page, param, value, param.labels)
    if isinstance(param, Choice):
        return (radio if param.widget == "radio" else dropdown)(page, param, value, param.labels)
    raise TypeError(f"{param.name}: a {type(param).__name__} has no control of its own")


def slider(page: str, param: Number, value, updatemode: str = "drag", **extra):
    """A labelled slider with Dash 4's typed-value box beside it."""
    span = param.hi - param.lo
    marks = {v: param.format(v) for v in (param.lo, param.lo + span / 2, param.hi)}
    return html.Div(className="control", children=[
        html.Label(param.label, htmlFor=control_id(page, param.name)),
        dcc.Slider(
            id=control_id(page, param.name), min=param.lo, max=param.hi,
            step=1 if param.integer else param.step, value=value, marks=marks,
            updatemode=updatemode, **extra,
        ),
    ])


def number_box(page: str, param: Number, value):
    """A labelled typed number, for values that span decades (learning rates, thresholds);
    sent on Enter or blur."""
    return html.Div(className="control", children=[
        html.Label(param.label, htmlFor=control_id(page, param.name)),
        dcc.Input(id=control_id(page, param.name), type="number", value=value, min=param.lo,
                  max=param.hi, step="any", debounce=True, className="number-box"),
    ])


def dropdown(page: str, param: Choice, value, labels: dict | None = None):
    labels = labels or {}
    return html.Div(className="control", children=[
        html.Label(param.label, htmlFor=control_id(page, param.name)),
        dcc.Dropdown(
            id=control_id(page, param.name), value=value, clearable=False, searchable=False,
            options=[{"label": labels.get(o, o), "value": o} for o in param.options],
        ),
    ])


def checklist(page: str, param: ChoiceList, value, labels: dict | None = None):
    """A labelled multi-select for a ChoiceList parameter."""
    labels = labels or {}
    return html.Div(className="control", children=[
        html.Label(param.label, htmlFor=control_id(page, param.name)),
        dcc.Checklist(id=control_id(page, param.name), value=list(value), inline=True,
                      options=[{"label": labels.get(o, o), "value": o} for o in param.options]),
    ])


def radio(page: str, param: Choice, value, labels: dict | None = None):
    """Radio buttons for a Choice with few options (a view toggle)."""
    labels = labels or {}
    return html.Div(className="control", children=[
        html.Label(param.label, htmlFor=control_id(page, param.name)),
        dcc.RadioItems(id=control_id(page, param.name), value=value, inline=True,
                       options=[{"label": labels.get(o, o), "value": o} for o in param.options]),
    ])


def control_panel(children, title: str = "Controls"):
    return html.Section(className="controls", children=[html.H3(title), *children])
