"""Server-rendered pages; the dashboard page drives the JSON API from static JS."""
from __future__ import annotations

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from backend.errors import ApplicationError, NotFound
from backend.llm.api import route_choices
from sql_gen.selectors import default_source
from widgets import selectors
from widgets.services.catalog_page import catalog_page
from widgets.services.dashboards import dashboard_create as create_dashboard
from widgets.services.dashboards import dashboard_open
from widgets.services.dashboards import dashboard_restore as restore_dashboard
from widgets.services.ui_meta import ui_meta

PROMPT_PREFILL_CHARS = 2000  # the prompt box's maxlength


@login_required
@require_safe
def dashboard_list(request: HttpRequest) -> HttpResponse:
    """The dashboards the user may open, and their own deleted ones to restore (``?deleted=<id>``, set by the
    dashboard page after a delete, makes the page offer Undo in a toast for that one, if it is theirs)."""
    return render(request, "widgets/dashboard_list.html", {
        "dashboards": selectors.dashboards_visible_to(user=request.user),
        "deleted": selectors.dashboards_deleted_by(user=request.user),
    })


@login_required
@require_POST
def dashboard_restore(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    """Restore one of the user's deleted dashboards (the list page's form, without script; with a script the
    page calls the API instead). Another user's dashboard, deleted or not, is a 404."""
    try:
        restored = restore_dashboard(user=request.user, dashboard_id=dashboard_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard-list")
    messages.success(request, f"Restored “{restored.name}”.")
    return redirect("dashboard-list")


@login_required
@require_POST
def dashboard_create(request: HttpRequest) -> HttpResponse:
    try:
        dashboard = create_dashboard(
            user=request.user,
            name=request.POST.get("name", ""),
            is_private=request.POST.get("shared") != "on",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard-list")
    return redirect("dashboard-detail", dashboard_id=dashboard.id)


@login_required
def dashboard_detail(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    try:
        # Staff may open anyone's dashboard, read-only; that is recorded.
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="page")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    can_edit = dashboard.owner_id == request.user.pk
    # Admins may force one model for a request (recorded as such in the call ledger).
    routes = route_choices() if can_edit and request.user.is_staff else []
    return render(
        request,
        "widgets/dashboard.html",
        {"dashboard": dashboard, "can_edit": can_edit, "routes": routes, "ui_meta": ui_meta(),
         "staff_visit": dashboard.is_private and not can_edit,  # only staff get this far (dashboard_open)
         # "Build a widget with this" on the catalog page: the prompt box starts with its prompt.
         "prompt": request.GET.get("prompt", "")[:PROMPT_PREFILL_CHARS] if can_edit else ""},
    )


@login_required
@require_safe
def catalog(request: HttpRequest) -> HttpResponse:
    """The metrics and dimensions analysts can ask for, each metric with a link that starts a widget on one
    of the user's dashboards (``?dashboard=`` picks which; the most recent by default)."""
    source = default_source()
    owned = list(selectors.dashboards_owned_by(user=request.user))
    chosen = next((d for d in owned if str(d.id) == request.GET.get("dashboard", "")), owned[0] if owned else None)
    page = catalog_page(source=source) if source is not None else {"metrics": [], "dimensions": []}
    return render(request, "widgets/catalog.html", {**page, "source": source, "dashboards": owned, "chosen": chosen})


# The sandbox runs model-written code. It is framed by our dashboard with sandbox="allow-scripts"
# (no allow-same-origin), so it has an opaque origin: no cookies, no storage, no access to the
# parent's DOM. The component itself runs in a QuickJS VM (WebAssembly) inside a Worker made from a
# blob: URL, and never sees this page's DOM. The page may load our static scripts, compile
# WebAssembly, start that one Worker, and nothing else: no requests, no eval, no inline styles.
SANDBOX_CSP = {
    "default-src": ["'none'"],
    # 'wasm-unsafe-eval': the VM is WebAssembly. No 'unsafe-eval' since the component no longer runs here.
    "script-src": ["'self'", "'wasm-unsafe-eval'"],
    # Styles are set property by property through the CSSOM, which 'unsafe-inline' does not govern.
    "style-src": ["'self'"],
    "img-src": ["'none'"],
    "font-src": ["'none'"],
    "connect-src": ["'none'"],
    "object-src": ["'none'"],
    "frame-src": ["'none'"],
    # The Worker's script is a blob: URL made by sandbox.js (a frame with an opaque origin cannot start a
    # Worker from our origin's URL); it importScripts() our static files, allowed by script-src 'self'.
    "worker-src": ["blob:"],
    "form-action": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'self'"],
    # No HTML from strings, and script URLs only through our policy, which accepts only the Worker's
    # blob: URL (in the page) and our three static scripts (in the Worker).
    "require-trusted-types-for": ["'script'"],
    "trusted-types": ["sandbox-worker"],
    # Sandboxed even when opened directly or framed without the attribute.
    "sandbox": ["allow-scripts"],
}


@require_safe
@xframe_options_sameorigin
@csp_replace(SANDBOX_CSP)
def widget_sandbox(request: HttpRequest) -> HttpResponse:
    """The page a custom widget renders in; it holds no data (props arrive by postMessage)."""
    return render(request, "widgets/sandbox.html")
