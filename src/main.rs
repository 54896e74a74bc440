//! The `bscred` binary: harden the process, parse argv, run, exit.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ErrorKind};

use bscred::cli::Cli;
use bscred::error::Exit;

fn main() -> ExitCode {
    bscred::harden::harden();
    let args: Vec<OsString> = std::env::args_os().collect();
    // `env` and `exec` first, with only their own definitions; everything
    // else (and anything that parser refuses) through the whole tree.
    let cli = match bscred::cmd::parse_daily(&args) {
        Some(cli) => cli,
        None => match Cli::try_parse_from(&args) {
            Ok(cli) => cli,
            Err(error) => return usage_error(&error, &args),
        },
    };
    match bscred::cmd::run(cli) {
        // A Windows child's code is 32 bits and `ExitCode` holds 8: exit
        // with all of it. Everything `run` held is dropped by now.
        #[cfg(windows)]
        Ok(Exit::Child(code)) => std::process::exit(i32::from_ne_bytes(code.to_ne_bytes())),
        Ok(exit) => exit.into(),
        Err(error) if error.is_broken_pipe() => Exit::Ok.into(),
        Err(error) => {
            bscred::terminal::write_raw(&error.render());
            error.exit().into()
        }
    }
}

/// Reports a command line clap refused. Help and version go to stdout with
/// 0. A mistake is 2 — except under `exec`, where 2 could be the command's
/// own status: there it is 125, as `env(1)` does.
fn usage_error(error: &clap::Error, args: &[OsString]) -> ExitCode {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return Exit::Ok.into();
    }
    if error.kind() == ErrorKind::ValueValidation {
        // clap's own message quotes the rejected argument, and a mistyped
        // `bscred set GITHUB_TOKEN=ghp_…` would put the token on screen: say
        // which argument and why, in bscred's one-line form.
        let arg = error
            .get(ContextKind::InvalidArg)
            .map_or("argument".to_string(), ToString::to_string);
        let reason = std::error::Error::source(error)
            .map_or("it is not valid".to_string(), ToString::to_string);
        bscred::terminal::write_raw(&format!(
            "bscred: error: invalid {}: {}\nbscred: hint: `bscred help` lists the commands, `bscred COMMAND --help` their arguments\n",
            shown(&arg),
            shown(&reason)
        ));
    } else {
        // clap quotes what it did not expect (`unexpected argument
        // 'ghp_…'`): cut tokens, keep the rest of its message.
        bscred::terminal::write_raw(&bscred::token::redact(&error.to_string()));
    }
    if bscred::cli::subcommand(args).is_some_and(|name| name == "exec") {
        Exit::ExecFailed.into()
    } else {
        Exit::Usage.into()
    }
}

/// Text from the command line, as an error may show it: tokens cut, and
/// controls escaped.
fn shown(text: &str) -> String {
    bscred::terminal::escape(&bscred::token::redact(text)).into_owned()
}
