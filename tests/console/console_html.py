"""Reading console pages in tests the way a person reads them: by field, by button."""

from html.parser import HTMLParser

INPUTS = {"input", "select", "textarea"}


class _Fields(HTMLParser):
    """Collects, per form field wrapper (``div.field``), the names of its inputs and the
    text of its error list."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[dict] = []
        self.stack: list[dict | None] = []
        self.in_errors = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "div":
            if "field" in classes:
                current = {"names": set(), "values": {}, "errors": [], "classes": classes}
                self.fields.append(current)
                self.stack.append(current)
            else:
                self.stack.append(None)
        wrapper = self._wrapper()
        if wrapper is not None and tag in INPUTS and attrs.get("name"):
            wrapper["names"].add(attrs["name"])
            wrapper["values"][attrs["name"]] = attrs.get("value")
        if tag == "ul" and "errorlist" in classes:
            self.in_errors += 1
        if tag == "li" and self.in_errors and wrapper is not None:
            wrapper["errors"].append("")

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()
        if tag == "ul" and self.in_errors:
            self.in_errors -= 1

    def handle_data(self, data):
        wrapper = self._wrapper()
        if self.in_errors and wrapper is not None and wrapper["errors"]:
            wrapper["errors"][-1] += data

    def _wrapper(self):
        for item in reversed(self.stack):
            if item is not None:
                return item
        return None


def field_errors(html: str | bytes, name: str) -> list[str]:
    """The error messages shown in the wrapper of the field called ``name``."""
    parser = _Fields()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    for wrapper in parser.fields:
        if name in wrapper["names"]:
            return [e.strip() for e in wrapper["errors"]]
    raise AssertionError(f"no field named {name!r} on the page")


def field_value(html: str | bytes, name: str) -> str | None:
    parser = _Fields()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    for wrapper in parser.fields:
        if name in wrapper["names"]:
            return wrapper["values"][name]
    raise AssertionError(f"no field named {name!r} on the page")


class _Forms(HTMLParser):
    """Every form's action and its inputs' names and values, in page order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {"action": attrs.get("action") or "", "method": attrs.get("method")}
            self.current["fields"] = {}
            self.current["buttons"] = []
            self.forms.append(self.current)
        elif self.current is not None and tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.current["fields"][attrs["name"]] = attrs.get("value") or ""
        elif self.current is not None and tag == "button":
            self.current["buttons"].append(attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def forms_on(html: str | bytes) -> list[dict]:
    parser = _Forms()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.forms


def form_posting_to(html: str | bytes, action: str) -> dict:
    """The fields (name -> value) of the form that posts to ``action``."""
    for form in forms_on(html):
        if form["action"] == action:
            return form["fields"]
    raise AssertionError(f"no form posts to {action!r}")


def text(response) -> str:
    return response.content.decode()


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") != "hidden":
            self.values.setdefault(attrs["name"], attrs.get("value") or "")


def input_value(html: str | bytes, name: str) -> str:
    """The value of the first visible input called ``name``, wherever it is on the page."""
    parser = _Inputs()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    if name not in parser.values:
        raise AssertionError(f"no input named {name!r} on the page")
    return parser.values[name]
