"""Reference-only (not GitLab): simulated CI jobs, so the harness can get a job token.

`POST /-/reference/projects/:id/jobs` starts a job and returns its token; `POST /-/reference/jobs/:job_id/finish`
ends it, after which the job token is refused with 401. Both need the administrator's token.

A job runs as a user, as GitLab's do: `user_id` (optional) names them, by default the caller. The job's token carries
that user's id (its principal's `user_id`), so it can act with that user's role on a project.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import provisioning_api as api
from core.vocabulary import TokenKind
from reference_server.db import Database
from reference_server.errors import not_found
from reference_server.params import as_int, read_params
from reference_server.provisioning import find_project
from reference_server.provisioning_auth import admin_principal, route
from reference_server.tokens import issue_token


async def start_job(request: Request) -> Response:
    principal = admin_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    params = await read_params(request)
    user_id = as_int(params, "user_id", principal.user_id)
    user = db.user(user_id) if user_id is not None else None
    if user is None:
        raise not_found("User")
    with db.transaction():
        job_id = db.create_job(project["id"], user["id"])
        token, _ = issue_token(db, TokenKind.JOB_TOKEN, f"job-{job_id}", [], None, job_id=job_id,
                               project_id=project["id"])
    return JSONResponse({"id": job_id, "token": token, "status": "running", "project_id": project["id"],
                         "user": {"id": user["id"], "username": user["username"]}}, status_code=201)


async def finish_job(request: Request) -> Response:
    admin_principal(request)
    db: Database = request.app.state.db
    job_id = request.path_params["job_id"]
    job = db.job(int(job_id)) if job_id.isdigit() else None
    if job is None:
        raise not_found("Job")
    db.finish_job(job["id"])
    return JSONResponse({"id": job["id"], "status": "success"})


ROUTES = [
    route(api.START_JOB, start_job),
    route(api.FINISH_JOB, finish_job),
]
