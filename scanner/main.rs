use clap::Parser;

fn main() {
    let _ = excert::cli::Cli::parse();
}
