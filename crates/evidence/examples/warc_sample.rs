//! Writes a sample web capture for the independent WARC checker run by `cargo xtask test`:
//! `cargo run -p courtside-evidence --example warc_sample -- OUT.warc.gz`. A small server on
//! 127.0.0.1 answers with a redirect, then a chunked HTML page in Chinese.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

fn serve(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut first = String::new();
        if reader.read_line(&mut first).is_err() {
            continue;
        }
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let mut out = stream;
        if first.starts_with("GET /notice ") {
            let _ = out.write_all(b"HTTP/1.1 302 Found\r\nLocation: /notice/2025-01\r\nContent-Length: 0\r\n\r\n");
        } else {
            let page = "<!doctype html><html><head><title>公告</title><script>track()</script></head><body><h1>还款通知</h1><p>李四应于2025年2月1日前付清货款&amp;利息。</p></body></html>";
            let _ = out.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            for piece in page.as_bytes().chunks(40) {
                let _ = out.write_all(format!("{:x}\r\n", piece.len()).as_bytes());
                let _ = out.write_all(piece);
                let _ = out.write_all(b"\r\n");
            }
            let _ = out.write_all(b"0\r\n\r\n");
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: warc_sample OUT.warc.gz")?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || serve(listener));
    let capture = courtside_evidence::web::capture(&format!("http://127.0.0.1:{port}/notice")).await?;
    assert_eq!(capture.hops.len(), 2, "{:?}", capture.hops);
    assert!(capture.text.contains("李四应于2025年2月1日前付清货款&利息。"), "{}", capture.text);
    std::fs::write(&out, &capture.warc_gz)?;
    println!("{out}");
    Ok(())
}
