//! `sentinel`: SmartGrid Sentinel's command line (see `grid_service::cli`).

fn main() -> std::process::ExitCode {
    grid_service::cli::run(std::env::args_os())
}
