//! The `cctoken` command: see `cctoken --help`.

fn main() {
    std::process::exit(cctoken::cli::main(std::env::args_os().skip(1)));
}
