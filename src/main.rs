//! The `bscred` binary: harden the process, parse argv, run, exit.

use std::process::ExitCode;

use clap::Parser;

use bscred::cli::Cli;
use bscred::error::Exit;

fn main() -> ExitCode {
    bscred::harden::harden();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with 0, mistakes to
            // stderr with 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    match bscred::cmd::run(cli) {
        Ok(exit) => exit.into(),
        Err(error) if error.is_broken_pipe() => Exit::Ok.into(),
        Err(error) => {
            eprint!("{}", error.render());
            error.exit().into()
        }
    }
}
