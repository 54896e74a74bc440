//! What `set`, `get`, `list` and `rm` act on: the profile in use, or with
//! `--team` the project's team store (`team.rs`). Both hold the same
//! document, and each keeps its own metadata cache.

use jiff::Timestamp;

use crate::context::Context;
use crate::error::Result;
use crate::metadata::Metadata;
use crate::profile::Profile;
use crate::store::{Document, StoreInfo};
use crate::team::TeamStore;

/// A profile or the team store.
#[derive(Debug)]
pub enum Target {
    Profile(Profile),
    Team(TeamStore),
}

impl Target {
    /// The team store when `team`, else the profile in use.
    pub fn open(ctx: &Context, team: bool) -> Result<Target> {
        if team {
            ctx.required_team_store().map(Target::Team)
        } else {
            ctx.open_profile().map(Target::Profile)
        }
    }

    /// How messages name it: "profile 'NAME'" or "the team store PATH".
    pub fn describe(&self) -> String {
        match self {
            Target::Profile(profile) => format!("profile '{}'", profile.name),
            Target::Team(team) => team.describe(),
        }
    }

    /// The backend and location of the store.
    pub fn info(&self) -> StoreInfo {
        match self {
            Target::Profile(profile) => profile.info(),
            Target::Team(team) => team.info(),
        }
    }

    /// Decrypts the whole document.
    pub fn load(&self, now: Timestamp) -> Result<Document> {
        match self {
            Target::Profile(profile) => profile.load(now),
            Target::Team(team) => team.load(),
        }
    }

    /// Read-modify-write under the store's lock.
    pub fn update(
        &self,
        now: Timestamp,
        edit: &mut dyn FnMut(&mut Document) -> Result<()>,
    ) -> Result<Document> {
        match self {
            Target::Profile(profile) => profile.update(now, edit),
            Target::Team(team) => team.update(edit),
        }
    }

    /// The profile's metadata cache. The team store keeps one too (what
    /// it held when last read here, for `check`), but teammates change the
    /// store with every pull, so it is no guide to what a write replaces:
    /// `None` for the team store here.
    pub fn cached_metadata(&self) -> Option<Metadata> {
        match self {
            Target::Profile(profile) => profile.cached_metadata(),
            Target::Team(_) => None,
        }
    }

    /// The team store, when this is it.
    pub fn team(&self) -> Option<&TeamStore> {
        match self {
            Target::Team(team) => Some(team),
            Target::Profile(_) => None,
        }
    }

    /// Whether this is the team store.
    pub fn is_team(&self) -> bool {
        matches!(self, Target::Team(_))
    }
}
