//! Entry point of the web app: mounts the Leptos [`app::App`] into the page.

mod api;
mod app;
mod components;
mod pages;
mod review;
mod samples;
mod state;
mod util;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
