//! Entry point. In the browser it mounts the app; natively it is the headless scenario runner.

#[cfg(target_arch = "wasm32")]
fn main() {
    kafka_sandbox::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(kafka_sandbox::scenario::cli::run_cli(&args));
}
