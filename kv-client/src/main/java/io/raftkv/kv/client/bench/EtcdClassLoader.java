package io.raftkv.kv.client.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads the etcd target and the etcd client (jetcd, Vert.x, unshaded Netty and grpc-netty) from the build's
 * {@code etcd-lib} directory, on top of the kv tool's class path. Kept apart because those jars, on the tool's own
 * class path, would register a second gRPC transport and more name resolvers for every raftkv channel, and would cost
 * start-up time in every command that never talks to etcd.
 *
 * <p>Classes of the {@code bench.etcd} package are defined here even though the tool's loader can see them, so that
 * their references to jetcd resolve through this loader; everything else is asked of the tool's loader first.
 */
final class EtcdClassLoader extends URLClassLoader {
    static final String PACKAGE = "io.raftkv.kv.client.bench.etcd.";

    static {
        registerAsParallelCapable();
    }

    private EtcdClassLoader(URL[] jars, ClassLoader parent) {
        super("etcd", jars, parent);
    }

    /** A loader over every jar in {@code directory}. */
    static EtcdClassLoader over(Path directory, ClassLoader parent) {
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path jar : files.filter(file -> file.toString().endsWith(".jar")).sorted().toList()) {
                jars.add(jar.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
        return new EtcdClassLoader(jars.toArray(URL[]::new), parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(PACKAGE)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> loaded = findLoadedClass(name);
            if (loaded == null) {
                loaded = defineFromParent(name);
            }
            if (resolve) {
                resolveClass(loaded);
            }
            return loaded;
        }
    }

    private Class<?> defineFromParent(String name) throws ClassNotFoundException {
        String resource = name.replace('.', '/') + ".class";
        try (InputStream in = getParent().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ClassNotFoundException(name);
            }
            byte[] bytes = in.readAllBytes();
            return defineClass(name, bytes, 0, bytes.length);
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
    }
}
