//! The `bscred` binary: harden the process, parse argv, run, exit.

use std::process::ExitCode;

use clap::Parser;

use bscred::cli::Cli;
use bscred::error::Exit;

fn main() -> ExitCode {
    bscred::harden::harden();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.kind() == clap::error::ErrorKind::ValueValidation => {
            // clap's own message quotes the rejected argument, and a
            // mistyped `bscred set GITHUB_TOKEN=ghp_…` would put the token on
            // screen: say which argument and why, in bscred's one-line form.
            let arg = error
                .get(clap::error::ContextKind::InvalidArg)
                .map_or("argument".to_string(), ToString::to_string);
            let reason = std::error::Error::source(&error)
                .map_or("it is not valid".to_string(), ToString::to_string);
            eprintln!("bscred: error: invalid {arg}: {reason}");
            eprintln!(
                "bscred: hint: `bscred help` lists the commands, `bscred COMMAND --help` their arguments"
            );
            return Exit::Usage.into();
        }
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
