//! The OpenAPI 3.1 document, generated from the handlers, and a browsable page
//! for it that works offline (Swagger UI is compiled into the binary).

use axum::Router;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kelisim",
        description = "Court-connected mediation: referrals, mediator matching, sessions, calendar invitations and outcomes.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Bearer tokens"),
        (name = "courts", description = "Courts and their rooms"),
        (name = "users", description = "User accounts"),
        (name = "mediators", description = "The mediator registry and mediators' calendars"),
        (name = "cases", description = "Referrals, matching, assignment and the case life cycle"),
        (name = "parties", description = "Parties' personal links"),
        (name = "outbox", description = "Email delivery state, and retries of failed messages (admin)"),
        (name = "inbox", description = "Answers read from the reply mailbox (admin), and the mediator's one-click decision on a proposed time"),
        (name = "sessions", description = "Sessions and their invitations"),
        (name = "outcomes", description = "Outcomes, the agreement document, submission to the court and registration"),
        (name = "reports", description = "Figures of referrals and outcomes, as JSON or CSV"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a token from POST /api/v1/auth/token"))
                    .build(),
            ),
        );
    }
}

/// The document the routes are collected into.
pub fn base() -> OpenApiDoc {
    ApiDoc::openapi()
}

/// `GET /api/openapi.json` and the browsable page at `/api/docs`.
pub fn docs_router(api: OpenApiDoc) -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api))
}
