//! The `excert` binary: parse the command line, call the library, exit.

use clap::Parser;

fn main() {
    let cli = match excert::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a
            // usage error (64), never clap's 2, which would read as critical.
            let code = if e.use_stderr() {
                excert::exit::USAGE
            } else {
                excert::exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    std::process::exit(excert::app::run(cli));
}
