"""Controls built from parameter specs, so a control and its validation never disagree."""
from dash import dcc, html

from components.layout import walk
from components.params import Choice, ChoiceList, Number


def control_id(page: str, name: str) -> str:
    """The one place a control's component id is spelled."""
    return f"{page}-{name}"


def label_id(page: str, name: str) -> str:
    """The id of a control's visible label: what names it for screen readers. Dash 4's
    slider thumb, its typed-value box and the dropdown's trigger take no aria props, so
    assets/gradlab.js points their aria-labelledby at this label once they render."""
    return f"{control_id(page, name)}-label"


def _label(page: str, param):
    return html.Label(param.label, id=label_id(page, param.name),
                      htmlFor=control_id(page, param.name))


def _group_label(page: str, param):
    """A checklist's or radio group's caption: names the group (role="group", set by
    assets/gradlab.js), while each option is labelled by its own text."""
    return html.Div(param.label, id=label_id(page, param.name), className="control-label")


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
        _label(page, param),
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
        _label(page, param),
        dcc.Input(id=control_id(page, param.name), type="number", value=value, min=param.lo,
                  max=param.hi, step="any", debounce=True, className="number-box"),
    ])


def dropdown(page: str, param: Choice, value, labels: dict | None = None):
    labels = labels or {}
    return html.Div(className="control", children=[
        _label(page, param),
        dcc.Dropdown(
            id=control_id(page, param.name), value=value, clearable=False, searchable=False,
            options=[{"label": labels.get(o, o), "value": o} for o in param.options],
        ),
    ])


def checklist(page: str, param: ChoiceList, value, labels: dict | None = None):
    """A labelled multi-select for a ChoiceList parameter."""
    labels = labels or {}
    return html.Div(className="control", children=[
        _group_label(page, param),
        dcc.Checklist(id=control_id(page, param.name), value=list(value), inline=True,
                      options=[{"label": labels.get(o, o), "value": o} for o in param.options]),
    ])


def radio(page: str, param: Choice, value, labels: dict | None = None):
    """Radio buttons for a Choice with few options (a view toggle)."""
    labels = labels or {}
    return html.Div(className="control", children=[
        _group_label(page, param),
        dcc.RadioItems(id=control_id(page, param.name), value=value, inline=True,
                       options=[{"label": labels.get(o, o), "value": o} for o in param.options]),
    ])


def control_panel(children, title: str = "Controls"):
    return html.Section(className="controls", children=[html.H3(title), *children])


# ---------------------------------------------------------------- lesson links (lock=, hide=)

LOCKED = "locked"  # the cue's text: seen beside the label, and read as part of the control's name


def lock_cue():
    """What a locked control's label gains: a visible word (not only a colour or a greyed
    widget), inside the label, so screen readers read it as part of the control's name."""
    return html.Span(f" {LOCKED}", className="lock-cue")


def with_lock_cue(children):
    """A locked control's label text (e.g. a label the page's callback rewrites) with its cue."""
    return [children, lock_cue()]


def _is_label(component) -> bool:
    if isinstance(component, html.Label):
        return str(getattr(component, "id", "") or "").endswith("-label")
    return "control-label" in str(getattr(component, "className", "") or "").split()


def locked(piece):
    """A piece of the control panel shown but not movable: sliders and dropdowns disabled,
    number boxes read-only, every checklist or radio option disabled (the browser then says
    so: aria-disabled, readonly), and each control's label saying "locked". The page's
    callback ignores whatever such a control sends anyway (ParamSet.parse_pinned)."""
    for c in walk(piece):
        if isinstance(c, (dcc.Slider, dcc.Dropdown)):
            c.disabled = True
        elif isinstance(c, dcc.Input):
            c.readOnly = True
        elif isinstance(c, (dcc.Checklist, dcc.RadioItems)):
            c.options = [{**o, "disabled": True} for o in c.options]
        elif _is_label(c):
            c.children = with_lock_cue(c.children)
        if "control" in str(getattr(c, "className", "") or "").split():
            c.className += " control-locked"
    return piece


def tag_param(piece, name: str, label: str):
    """Mark a panel piece as the control of parameter `name`: the embed box (assets/gradlab.js)
    lists the page's parameters from these marks, to lock or hide them in the embed."""
    first = next((c for c in (piece if isinstance(piece, list) else [piece])
                  if hasattr(c, "to_plotly_json")), None)
    if first is not None:
        setattr(first, "data-param", name)
        setattr(first, "data-param-label", label)
    return piece
