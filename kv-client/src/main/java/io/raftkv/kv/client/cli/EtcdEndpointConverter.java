package io.raftkv.kv.client.cli;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine;

/** An etcd client URL: {@code http://host:port}; a bare {@code host:port} is taken as http. */
final class EtcdEndpointConverter implements CommandLine.ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
        String text = value.trim();
        URI uri;
        try {
            uri = new URI(text.contains("://") ? text : "http://" + text);
        } catch (URISyntaxException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not an etcd URL like "
                    + "http://127.0.0.1:2379");
        }
        if (!"http".equals(uri.getScheme())) {
            throw new CommandLine.TypeConversionException("'" + value + "': only http:// etcd endpoints are "
                    + "supported (no TLS)");
        }
        if (uri.getHost() == null || uri.getPort() < 1) {
            throw new CommandLine.TypeConversionException("'" + value + "' needs a host and a port, like "
                    + "http://127.0.0.1:2379");
        }
        if (!(uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"))
                || uri.getQuery() != null || uri.getUserInfo() != null) {
            throw new CommandLine.TypeConversionException("'" + value + "' must be just http://host:port");
        }
        return URI.create("http://" + uri.getRawAuthority());
    }
}
