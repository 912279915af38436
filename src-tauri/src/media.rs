//! Camera, microphone and screen for the app's own pages (the pre-hearing check, evidence
//! captured in the locker): the window may use them, nothing else may, and no other
//! permission (location, notifications from the page, clipboard) is granted.

use tauri::webview::{PermissionKind, PermissionResponse};
use tauri::{Runtime, Webview};

/// Environment variable that replaces the real camera and microphone with WebKit's mock
/// capture devices (a test pattern and a tone): for tests under Xvfb, which has no devices.
pub(crate) const MOCK_DEVICES_ENV: &str = "COURTSIDE_MOCK_CAPTURE_DEVICES";

/// Answers the page's permission requests: camera, microphone and screen capture for the
/// app's own pages, a refusal for everything else. The platform still shows its own prompt
/// or screen picker where it has one.
pub(crate) fn answer<R: Runtime>(webview: Webview<R>, kind: PermissionKind) -> PermissionResponse {
    let own_page = webview.url().is_ok_and(|url| is_app_page(&url));
    match kind {
        PermissionKind::Camera | PermissionKind::Microphone | PermissionKind::DisplayCapture if own_page => {
            PermissionResponse::Allow
        }
        other => {
            tracing::info!(?other, "refused a permission the page asked for");
            PermissionResponse::Deny
        }
    }
}

/// The bundled UI's origin (`tauri://localhost`, `http(s)://tauri.localhost`), or the dev
/// server on localhost in debug builds.
fn is_app_page(url: &url::Url) -> bool {
    let bundled = matches!(
        (url.scheme(), url.host_str()),
        ("tauri", Some("localhost")) | ("http" | "https", Some("tauri.localhost"))
    );
    let dev_server = cfg!(debug_assertions) && url.scheme() == "http" && url.host_str() == Some("localhost");
    bundled || dev_server
}

/// Turns on media capture in the window's webview (WebKitGTK keeps it off by default), with
/// the mock devices when [`MOCK_DEVICES_ENV`] is `1`. Elsewhere the platform webview has it.
pub(crate) fn enable_capture<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let mock = std::env::var(MOCK_DEVICES_ENV).is_ok_and(|v| v == "1");
        let result = window.with_webview(move |platform| {
            use webkit2gtk::{SettingsExt, WebViewExt};
            if let Some(settings) = platform.inner().settings() {
                settings.set_enable_media_stream(true);
                settings.set_enable_mock_capture_devices(mock);
            }
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not turn on the camera and microphone in the window");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(test)]
mod tests {
    use super::is_app_page;

    #[test]
    fn only_the_bundled_ui_is_an_app_page() {
        let page = |s: &str| is_app_page(&url::Url::parse(s).unwrap());
        assert!(page("tauri://localhost/hearings"));
        assert!(page("http://tauri.localhost/hearings"));
        assert!(!page("https://court.example/rooms/1"));
        assert!(!page("http://127.0.0.1:18080/rooms/1"));
        assert!(!page("file:///etc/passwd"));
        assert!(!page("tauri://localhost.evil.example/"));
    }
}
