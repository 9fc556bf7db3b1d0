//! The `vivr-search` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    vivr_search::cli::main()
}
