//! `petal models`: listing, fetching, publishing and forgetting models.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::{remote, S3Args, EXIT_OK, EXIT_PHOTO_FAILED, EXIT_USAGE};
use crate::storage::fetch::S3Uri;
use crate::storage::{fetch_model, publish_model, ModelCache, S3Client};

#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// List models in an S3 folder (default: the configured bucket and
    /// model prefix), or the local cache with --cached.
    List {
        /// `s3://BUCKET/PREFIX` to list.
        #[arg(value_name = "S3_URI")]
        location: Option<String>,
        /// List the models in the local cache instead.
        #[arg(long)]
        cached: bool,
        #[command(flatten)]
        s3: S3Args,
    },
    /// Fetch a model and its sidecars into the local cache; prints the path.
    Pull {
        #[arg(value_name = "S3_URI")]
        uri: String,
        /// Download again even when the model is cached.
        #[arg(long)]
        refresh: bool,
        #[command(flatten)]
        s3: S3Args,
    },
    /// Upload a model file and the sidecars beside it to S3.
    Push {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Destination key, or a folder ending in `/`.
        #[arg(value_name = "S3_URI")]
        uri: String,
        #[command(flatten)]
        s3: S3Args,
    },
    /// Remove a model from the local cache.
    Remove {
        #[arg(value_name = "S3_URI")]
        uri: String,
    },
}

pub fn run(command: ModelsCommand) -> u8 {
    match command {
        ModelsCommand::List { cached: true, .. } => list_cache(),
        ModelsCommand::List { location, s3, .. } => list_bucket(location.as_deref(), &s3),
        ModelsCommand::Pull { uri, refresh, s3 } => pull(&uri, refresh, &s3),
        ModelsCommand::Push { file, uri, s3 } => push(&file, &uri, &s3),
        ModelsCommand::Remove { uri } => remove(&uri),
    }
}

fn open_cache() -> Result<ModelCache, u8> {
    ModelCache::open_default().ok_or_else(|| {
        eprintln!(
            "error: no cache folder on this platform; set PETAL_CACHE_DIR to a writable folder"
        );
        EXIT_USAGE
    })
}

fn parse_uri(text: &str) -> Result<S3Uri, u8> {
    S3Uri::parse(text).map_err(|why| {
        eprintln!("error: {why}");
        EXIT_USAGE
    })
}

fn list_cache() -> u8 {
    let cache = match open_cache() {
        Ok(cache) => cache,
        Err(status) => return status,
    };
    println!("bundled\t(compiled into Petal)");
    for entry in cache.list() {
        println!(
            "{}\t{} bytes\t{}",
            entry.info.source,
            entry.info.size,
            entry.model_path().display()
        );
    }
    EXIT_OK
}

fn list_bucket(location: Option<&str>, args: &S3Args) -> u8 {
    let remote = remote(args);
    let uri = match location {
        Some(text) => match parse_uri(text) {
            Ok(uri) => uri,
            Err(status) => return status,
        },
        None => match &remote.s3.bucket {
            Some(bucket) => S3Uri {
                bucket: bucket.value.clone(),
                key: remote.s3.model_prefix.value.clone(),
            },
            None => {
                eprintln!(
                    "error: no bucket to list; pass s3://BUCKET/PREFIX, set AWS_S3_BUCKET_NAME, \
                     or use --cached for the local cache"
                );
                return EXIT_USAGE;
            }
        },
    };
    let client = match S3Client::connect(&remote.s3) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_PHOTO_FAILED;
        }
    };
    let listing = match client.list(&uri.bucket, &uri.key, &AtomicBool::new(false)) {
        Ok(listing) => listing,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_PHOTO_FAILED;
        }
    };
    let cached: Vec<String> = remote
        .cache
        .map(|cache| cache.list().into_iter().map(|e| e.info.source).collect())
        .unwrap_or_default();
    for prefix in &listing.prefixes {
        println!("{:>12}  {:<20}  s3://{}/{prefix}", "folder", "", uri.bucket);
    }
    for object in &listing.objects {
        let object_uri = format!("s3://{}/{}", uri.bucket, object.key);
        let mark = if cached.contains(&object_uri) {
            "  (cached)"
        } else {
            ""
        };
        let modified = object.last_modified.as_deref().unwrap_or("");
        println!("{:>12}  {modified:<20}  {object_uri}{mark}", object.size);
    }
    EXIT_OK
}

fn pull(text: &str, refresh: bool, args: &S3Args) -> u8 {
    let uri = match parse_uri(text) {
        Ok(uri) => uri,
        Err(status) => return status,
    };
    let cache = match open_cache() {
        Ok(cache) => cache,
        Err(status) => return status,
    };
    let remote = remote(args);
    let progress = super::classify::download_bar();
    let report = |done: u64, total: Option<u64>| {
        if let Some(total) = total {
            progress.set_length(total);
        }
        progress.set_position(done);
    };
    let connect = || S3Client::connect(&remote.s3);
    let fetched = fetch_model(
        &uri,
        &cache,
        connect,
        &report,
        &AtomicBool::new(false),
        refresh,
    );
    progress.finish_and_clear();
    match fetched {
        Ok(entry) => {
            println!("{}", entry.model_path().display());
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_PHOTO_FAILED
        }
    }
}

fn push(file: &std::path::Path, text: &str, args: &S3Args) -> u8 {
    let uri = match parse_uri(text) {
        Ok(uri) => uri,
        Err(status) => return status,
    };
    let remote = remote(args);
    let client = match S3Client::connect(&remote.s3) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_PHOTO_FAILED;
        }
    };
    match publish_model(&client, file, &uri) {
        Ok(keys) => {
            for key in keys {
                println!("uploaded s3://{}/{key}", uri.bucket);
            }
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_PHOTO_FAILED
        }
    }
}

fn remove(text: &str) -> u8 {
    let cache = match open_cache() {
        Ok(cache) => cache,
        Err(status) => return status,
    };
    match cache.remove(text.trim()) {
        Ok(true) => EXIT_OK,
        Ok(false) => {
            eprintln!("error: {text} is not in the cache; `petal models list --cached` lists it");
            EXIT_PHOTO_FAILED
        }
        Err(error) => {
            eprintln!(
                "error: cannot remove {text} from {}: {error}",
                cache.root().display()
            );
            EXIT_PHOTO_FAILED
        }
    }
}
