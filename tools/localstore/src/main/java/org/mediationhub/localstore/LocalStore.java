package org.mediationhub.localstore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The hub's local store: mongo-java-server on one TCP port, with the memory backend (fast, gone on
 * exit) or the H2 MVStore backend (one file that keeps the data across restarts).
 *
 * <pre>java -Xmx2g -jar localstore.jar --host 127.0.0.1 --port 27018 --backend h2 --data-file var/store/hub.mv</pre>
 *
 * SIGTERM shuts it down cleanly (the H2 file is committed and closed).
 *
 * <p>The H2 backend is not crash-safe on its own: a write puts the document into the collection's map
 * and then into each unique index's map, and MVStore commits in the background, so a kill can keep
 * a document that its indexes do not have (the next insert of that _id then fails with an internal
 * error instead of a duplicate key). A marker file next to the data file says whether the last run
 * closed cleanly; after a run that did not, every index map is removed before the backend opens, and
 * the backend rebuilds each index from the documents it holds.
 */
public final class LocalStore {

    /**
     * The version the store reports. mongo-java-server says 5.0 with wire version 8 by default, which
     * PyMongo 4.18 and newer refuse ("requires at least 9"); it speaks what the hub sends at 13 (MongoDB 5.0).
     */
    static final MongoVersion VERSION = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(5, 0, 0);
        }

        @Override
        public int getWireVersion() {
            return 13;
        }
    };

    /** Added to `buildInfo`, so clients can say what they are connected to. */
    static final String KIND_FIELD = "localStore";
    static final String KIND = "mongo-java-server 1.47.0";

    private LocalStore() {
    }

    public static void main(String[] args) throws InterruptedException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("localstore: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        Path marker = options.dataFile() == null ? null : openMarker(options.dataFile());
        MongoBackend backend = open(options);
        backend.version(VERSION);
        MongoServer server = new MongoServer(backend);
        server.bind(options.host(), options.port());
        System.err.printf("localstore listening on %s:%d backend=%s%s heap-max=%d MiB%n", options.host(),
            options.port(), options.backend(), options.dataFile() == null ? "" : " file=" + options.dataFile(),
            Runtime.getRuntime().maxMemory() / (1024 * 1024));

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdownNow();
            if (marker != null) {
                try {
                    Files.deleteIfExists(marker);
                } catch (java.io.IOException e) {
                    System.err.println("localstore: cannot remove " + marker + ": " + e.getMessage());
                }
            }
            stopped.countDown();
        }, "localstore-shutdown"));
        stopped.await();
    }

    private static MongoBackend open(Options options) {
        if (options.backend().equals("memory")) {
            return new Memory();
        }
        try {
            Files.createDirectories(options.dataFile().toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the folder of " + options.dataFile(), e);
        }
        return H2.open(options.dataFile().toString());
    }

    /**
     * Creates the marker of an open data file, first rebuilding the indexes if the marker is already
     * there (the last run was killed).
     */
    private static Path openMarker(Path dataFile) {
        Path marker = dataFile.resolveSibling(dataFile.getFileName() + ".open");
        try {
            if (Files.exists(marker) && Files.exists(dataFile)) {
                int removed = dropIndexMaps(dataFile.toString());
                System.err.printf("localstore: the last run did not close %s cleanly; rebuilding its %d indexes"
                    + " from the documents%n", dataFile, removed);
            }
            Files.createDirectories(marker.toAbsolutePath().getParent());
            Files.writeString(marker, Long.toString(ProcessHandle.current().pid()));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot write " + marker, e);
        }
        return marker;
    }

    /** Removes every unique index's map ("db.collection._index_name"); the backend rebuilds empty ones. */
    static int dropIndexMaps(String fileName) {
        MVStore store = MVStore.open(fileName);
        try {
            List<String> names = store.getMapNames().stream().filter(name -> name.contains("._index_")).toList();
            names.forEach(store::removeMap);
            store.commit();
            return names.size();
        } finally {
            store.close();
        }
    }

    static Document identify(Document response, String command) {
        if (command.equalsIgnoreCase("buildinfo")) {
            response.put(KIND_FIELD, KIND);
        }
        return response;
    }

    /**
     * A filter on `_id` (a value, or `$in`) and more (`{_id: x, version: 3}`, a compare-and-swap), as the `_id`
     * index can answer it: `{_id: x}`; null when it cannot. mongo-java-server uses a unique index only for a filter on exactly its
     * keys, so without this such a filter scanned the whole collection, where MongoDB reads one document.
     */
    static Document byIdFirst(Document query) {
        Object id = query.get("_id");
        if (query.size() < 2 || id == null || id instanceof Collection
            || (id instanceof Document operator && !operator.keySet().equals(Set.of("$in")))
            || query.keySet().stream().anyMatch(key -> key.startsWith("$"))) {
            return null;
        }
        return new Document("_id", id);
    }

    /** A collection's query: its own (`queryDocuments`), or its matching of documents given (`matchDocumentsFromStream`). */
    interface Query {
        QueryResult run(Document query, Document orderBy, int skip, int limit, int batchSize, Document fields);
    }

    interface Match {
        QueryResult run(Stream<Document> documents, Document query, Document orderBy, int skip, int limit,
                        int batchSize, Document fields);
    }

    /** The query, by `_id` first when `byIdFirst` can, then the rest of the filter matched on what that found. */
    static QueryResult idFirst(Query plain, Match match, Document query, Document orderBy, int skip, int limit,
                               int batchSize, Document fields) {
        Document byId = byIdFirst(query);
        if (byId == null) {
            return plain.run(query, orderBy, skip, limit, batchSize, fields);
        }
        List<Document> found = plain.run(byId, null, 0, 0, 0, null).collectDocuments();
        return match.run(found.stream(), query, orderBy, skip, limit, batchSize, fields);
    }

    /** The memory backend, naming itself in buildInfo, its collections reading `_id` first. */
    static final class Memory extends MemoryBackend {
        @Override
        public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
            return identify(super.handleCommand(channel, databaseName, command, query), command);
        }

        @Override
        public MemoryDatabase openOrCreateDatabase(String databaseName) {
            return new MemoryDatabase(databaseName, getCursorRegistry()) {
                @Override
                protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
                    return new MemoryCollection(this, collectionName, options, cursorRegistry) {
                        @Override
                        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit,
                                                             int batchSize, Document fields) {
                            return idFirst(super::queryDocuments, this::matchDocumentsFromStream, query, orderBy, skip,
                                limit, batchSize, fields);
                        }
                    };
                }
            };
        }
    }

    /** The commands that change data: the H2 file is committed before the store answers them. */
    static final Set<String> WRITES = Set.of("insert", "update", "delete", "findandmodify", "create", "drop",
        "dropdatabase", "createindexes", "dropindexes", "renamecollection");

    /**
     * The H2 MVStore backend, naming itself in buildInfo. It commits the file before it answers a write, so a
     * kill of the store loses no write it acknowledged (MVStore alone commits about once a second, and a kill
     * lost the writes of that second, answered ones included). The commit writes to the file but does not
     * sync it: a power cut can still lose what the disk had not written.
     */
    static final class H2 extends H2Backend {
        /** The backend's MVStore, for its databases (opened by the backend's constructor, before any field of theirs). */
        private static MVStore store;

        private H2(MVStore mvStore) {
            super(mvStore);
        }

        static H2 open(String fileName) {
            store = MVStore.open(fileName);
            return new H2(store);
        }

        @Override
        protected MongoDatabase openOrCreateDatabase(String databaseName) {
            return new H2Database(databaseName, store, getCursorRegistry()) {
                @Override
                protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
                    String fullName = getFullCollectionNamespace(collectionName);  // the maps H2Database names
                    MVMap<Object, Document> dataMap = store.openMap("databases." + fullName);
                    MVMap<String, Object> metaMap = store.openMap("meta." + fullName);
                    return new H2Collection(this, collectionName, options, dataMap, metaMap, cursorRegistry) {
                        @Override
                        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit,
                                                             int batchSize, Document fields) {
                            return idFirst(super::queryDocuments, this::matchDocumentsFromStream, query, orderBy, skip,
                                limit, batchSize, fields);
                        }
                    };
                }
            };
        }

        @Override
        public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
            try {
                return identify(super.handleCommand(channel, databaseName, command, query), command);
            } finally {
                if (WRITES.contains(command.toLowerCase(java.util.Locale.ROOT))) {
                    commit();
                }
            }
        }
    }

    /** The command line. */
    record Options(String host, int port, String backend, Path dataFile) {
        static final String USAGE =
            "usage: localstore [--host H] [--port P] [--backend memory|h2] [--data-file PATH (h2)]";

        static Options parse(String[] args) {
            String host = "127.0.0.1";
            int port = 27018;
            String backend = "memory";
            Path dataFile = null;
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String value = args[++i];
                switch (flag) {
                    case "--host" -> host = value;
                    case "--port" -> port = parsePort(value);
                    case "--backend" -> backend = value;
                    case "--data-file" -> dataFile = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + flag);
                }
            }
            if (!backend.equals("memory") && !backend.equals("h2")) {
                throw new IllegalArgumentException("--backend is memory or h2, not " + backend);
            }
            if (backend.equals("h2") && dataFile == null) {
                throw new IllegalArgumentException("--backend h2 needs --data-file");
            }
            return new Options(host, port, backend, dataFile);
        }

        private static int parsePort(String value) {
            try {
                int port = Integer.parseInt(value);
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("--port must be 1-65535, not " + value);
                }
                return port;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--port must be a number, not " + value);
            }
        }
    }
}
