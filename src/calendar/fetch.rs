//! Fetching a mediator's own calendar from its ICS URL: the one place in
//! `calendar/` that does I/O, bounded in time (the client's timeout) and
//! size.
//!
//! Rule: messages never quote the URL, which may hold a secret token.

/// Fetches an ICS URL with a timeout and a size limit.
pub async fn fetch_ics(
    client: &reqwest::Client,
    url: &str,
    max_bytes: usize,
) -> Result<String, String> {
    let mut resp = client
        .get(url)
        .header("accept", "text/calendar")
        .send()
        .await
        .map_err(|e| format!("the calendar could not be fetched: {}", without_url(&e)))?;
    if !resp.status().is_success() {
        return Err(format!("the calendar server answered {}", resp.status()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n as usize > max_bytes)
    {
        return Err(format!("the calendar is larger than {max_bytes} bytes"));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("the calendar could not be read: {}", without_url(&e)))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(format!("the calendar is larger than {max_bytes} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "the calendar is not UTF-8 text".to_owned())
}

/// reqwest puts the URL (which may hold a secret token) into its messages.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        // reqwest's Display includes the URL; keep only the kind of failure.
        if e.is_status() {
            "the server refused".into()
        } else if e.is_body() || e.is_decode() {
            "the answer could not be read".into()
        } else {
            "the request failed".into()
        }
    }
}
