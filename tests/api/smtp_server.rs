//! The SMTP server the delivery tests rely on (`tests/common/smtp.rs`) does
//! what they assume: it speaks SMTP over TCP to a real client (lettre), keeps
//! each message exactly as sent, and its outage, its slowness, its silence and
//! its refusals are real ones.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::common::smtp::{SmtpOptions, SmtpServer};

fn client(smtp: &SmtpServer) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .timeout(Some(Duration::from_secs(10)))
        .build()
}

fn envelope(to: &str) -> Envelope {
    Envelope::new(
        Some("no-reply@kelisim.test".parse().expect("from")),
        vec![to.parse().expect("to")],
    )
    .expect("envelope")
}

/// A raw connection that has read the greeting.
fn connect(smtp: &SmtpServer) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", smtp.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let greeting = read_reply(&mut stream);
    assert!(greeting.starts_with("220 "), "{greeting}");
    stream
}

/// Reads what the server sent until a line that ends a reply.
fn read_reply(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => panic!(
                "the connection closed after {:?}",
                String::from_utf8_lossy(&out)
            ),
            Ok(_) => out.push(byte[0]),
            Err(e) => panic!("no reply ({e}) after {:?}", String::from_utf8_lossy(&out)),
        }
        if out.ends_with(b"\r\n") {
            let text = String::from_utf8_lossy(&out).into_owned();
            let last = text.trim_end().rsplit("\r\n").next().unwrap_or_default();
            if last.as_bytes().get(3) == Some(&b' ') {
                return text;
            }
        }
    }
}

fn command(stream: &mut TcpStream, line: &str) -> String {
    stream.write_all(line.as_bytes()).expect("send");
    read_reply(stream)
}

/// Whether the peer closed the connection (end of stream or a reset) rather
/// than leaving it silent.
fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

#[tokio::test]
async fn messages_arrive_in_order_exactly_as_sent_with_dots_unstuffed_and_line_ends_kept() {
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start(&dir.path().join("smtp"));
    let client = client(&smtp);
    // Lines that dot-stuffing must double and the server must undo, a line
    // holding only a dot (the end of data, once unstuffed), a bare LF that is
    // no line end (so the dot after it is not stuffed and must stay), and
    // 8-bit text.
    let raw = "From: <no-reply@kelisim.test>\r\nTo: <a@court.test>\r\nSubject: dots\r\n\r\n\
               .one dot\r\n..two dots\r\n.\r\nbare\n.dot after a bare LF\r\n\
               Сессия медиации\r\nlast line";
    let others = ["Subject: second\r\n\r\nbody\r\n", "Subject: third\r\n\r\n."];

    for body in std::iter::once(raw).chain(others) {
        client
            .send_raw(&envelope("a@court.test"), body.as_bytes())
            .await
            .expect("accepted");
    }

    // The data is what the client sent up to and including the CRLF that
    // ends its last line (RFC 5321 4.1.1.4), in the order sent.
    let expected: Vec<Vec<u8>> = std::iter::once(raw)
        .chain(others)
        .map(|m| {
            let mut data = m.as_bytes().to_vec();
            data.extend_from_slice(b"\r\n");
            data
        })
        .collect();
    let received = smtp.messages();
    for (got, want) in received.iter().zip(&expected) {
        assert_eq!(String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    }
    assert_eq!(received, expected);
}

#[tokio::test]
async fn a_stopped_server_refuses_connections_drops_open_ones_and_comes_back_on_its_port() {
    let dir = tempfile::tempdir().expect("dir");
    let mut smtp = SmtpServer::start(&dir.path().join("smtp"));
    let port = smtp.port();
    let mut open = connect(&smtp);
    let reply = command(&mut open, "EHLO test.example\r\n");
    assert!(reply.starts_with("250"), "{reply}");

    smtp.stop();

    let refused = TcpStream::connect(("127.0.0.1", port)).expect_err("a stopped server");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused, "{refused}");
    assert!(closed(&mut open), "the open connection was dropped");
    let err = client(&smtp)
        .send_raw(&envelope("a@court.test"), b"Subject: x\r\n\r\nx")
        .await
        .expect_err("nothing listens");
    assert!(!err.is_permanent(), "an outage is not a refusal: {err}");

    smtp.start_again(SmtpOptions::default());
    assert_eq!(smtp.port(), port);
    let mut again = connect(&smtp);
    assert!(command(&mut again, "NOOP\r\n").starts_with("250"));
    client(&smtp)
        .send_raw(&envelope("a@court.test"), b"Subject: y\r\n\r\ny")
        .await
        .expect("accepted after the restart");
    assert_eq!(smtp.count(), 1);
}

#[tokio::test]
async fn after_hold_after_messages_the_server_never_answers_and_keeps_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let mut smtp = SmtpServer::start_with(
        &dir.path().join("smtp"),
        SmtpOptions {
            hold_after: Some(1),
            ..SmtpOptions::default()
        },
    );
    client(&smtp)
        .send_raw(&envelope("a@court.test"), b"Subject: first\r\n\r\ntaken")
        .await
        .expect("the first is accepted");

    let mut held = connect(&smtp);
    for line in [
        "EHLO test.example\r\n",
        "MAIL FROM:<no-reply@kelisim.test>\r\n",
        "RCPT TO:<a@court.test>\r\n",
    ] {
        assert!(command(&mut held, line).starts_with("250"), "{line}");
    }
    assert!(command(&mut held, "DATA\r\n").starts_with("354"));
    held.write_all(b"Subject: second\r\n\r\nheld\r\n.\r\n")
        .expect("send the message");
    held.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("read timeout");
    let mut byte = [0u8; 1];
    let answer = held.read(&mut byte);
    assert!(
        matches!(&answer, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "no answer to the held message: {answer:?}"
    );
    assert_eq!(smtp.count(), 1, "the held message is not kept");

    // Stopping ends the wait without a word and still keeps nothing.
    smtp.stop();
    assert!(closed(&mut held), "the held connection was dropped");
    assert_eq!(smtp.count(), 1);
}

#[tokio::test]
async fn a_refused_recipient_gets_a_550_that_lettre_takes_as_permanent() {
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start_with(
        &dir.path().join("smtp"),
        SmtpOptions {
            reject: vec!["refuse".into()],
            ..SmtpOptions::default()
        },
    );
    let client = client(&smtp);

    let err = client
        .send_raw(&envelope("refuse.me@court.test"), b"Subject: x\r\n\r\nx")
        .await
        .expect_err("refused");

    assert!(err.is_permanent(), "{err}");
    assert_eq!(
        err.status().map(|code| code.to_string()),
        Some("550".into())
    );
    assert_eq!(smtp.count(), 0);
    client
        .send_raw(&envelope("welcome@court.test"), b"Subject: y\r\n\r\ny")
        .await
        .expect("others are accepted");
    assert_eq!(smtp.count(), 1);
}

#[tokio::test]
async fn a_slow_server_takes_its_delay_before_accepting_each_message() {
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start_with(
        &dir.path().join("smtp"),
        SmtpOptions {
            delay_ms: 300,
            ..SmtpOptions::default()
        },
    );
    let client = client(&smtp);

    let start = Instant::now();
    for i in 0..2 {
        client
            .send_raw(
                &envelope("a@court.test"),
                format!("Subject: {i}\r\n\r\nslow").as_bytes(),
            )
            .await
            .expect("accepted");
    }

    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(smtp.count(), 2);
}
