//! `bscred env`: print shell code that exports the profile's variables.

use crate::context::Context;
use crate::context::resolve;
use crate::error::{Error, Exit, Result};
use crate::secret::{Secret, VarName};
use crate::shell::{self, Shell};

/// Print shell code that exports the profile's variables
///
/// Use it as `eval $(bscred env)` in bash or zsh; every value comes back
/// byte for byte, quoted or not. Without --shell the output is the bash/zsh
/// form whatever $SHELL says, so it behaves the same inside direnv, scripts
/// and sudo. stdout carries only the code; on failure it is empty.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    eval $(bscred env)                          # bash, zsh\n  \
    eval $(bscred env --shell sh)               # dash, POSIX sh\n  \
    bscred env --shell fish | source            # fish\n  \
    bscred env --shell powershell | Invoke-Expression\n  \
    bscred env --shell nu | from json | load-env\n  \
    bscred env --shell dotenv > .env.local      # plaintext: only if you must")]
pub struct Args {
    /// Output format [default: bash]
    #[arg(long, value_enum, value_name = "SHELL")]
    shell: Option<Shell>,

    /// Only these variables (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    only: Vec<VarName>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let merged = resolve::merged_only(ctx, &args.only)?;
    let vars = resolve::selected(ctx, &merged.doc, &args.only)?;
    let values: Vec<(&VarName, &Secret)> = vars.iter().map(|(n, v)| (*n, &v.value)).collect();
    let shell = args.shell.unwrap_or(Shell::Bash);
    let refused = |e: shell::Unrepresentable| Error::Refused {
        message: e.to_string(),
        hint: "use --shell json, or leave it out with --only".to_string(),
    };
    // Every value is checked before the first byte: on failure stdout stays
    // empty, so `eval` runs nothing.
    shell::check(shell, &values).map_err(refused)?;
    merged.remind(ctx, &vars)?;
    shell::write(shell, &values, &mut std::io::stdout().lock()).map_err(|e| match e {
        shell::WriteError::Value(e) => refused(e),
        shell::WriteError::Io(e) => Error::io("cannot write to standard output")(e),
    })?;
    Ok(Exit::Ok)
}
