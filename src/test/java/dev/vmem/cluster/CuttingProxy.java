package dev.vmem.cluster;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP proxy in front of one ZooKeeper server that can lose the reply to a {@code multi}: once armed, it
 * forwards the next multi request (ZooKeeper op code 14) to the server, which commits it, drops every byte the
 * server sends back, closes the connection and refuses new ones until {@link #open}. The client sees a
 * connection loss for a multi that did commit: the outcome it cannot know. {@link #cutAll} cuts every connection
 * at once instead, as a network partition does.
 */
final class CuttingProxy implements AutoCloseable {
    private static final int MULTI = 14;
    private static final int SET_DATA = 5;
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch cut = new CountDownLatch(1);
    private volatile boolean armed;
    private volatile boolean registrationOnly;
    private volatile boolean refusing;
    private volatile boolean dropping;

    CuttingProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "cutting-proxy");
        t.setDaemon(true);
        t.start();
    }

    String connectString() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Cuts at the next multi request. */
    void arm() {
        armed = true;
    }

    /** Cuts at the next registration: a multi whose first operation is a setData (no lease operation starts so). */
    void armForRegistration() {
        registrationOnly = true;
        armed = true;
    }

    /** Waits until a multi was cut. */
    boolean awaitCut(long seconds) throws InterruptedException {
        return cut.await(seconds, TimeUnit.SECONDS);
    }

    /** Cuts every connection now and refuses new ones until {@link #open}: a partition between client and server. */
    void cutAll() throws IOException {
        refusing = true;
        dropping = true;
        for (Socket s : sockets) {
            s.close();
        }
        sockets.clear();
    }

    /** Lets connections through again. */
    void open() {
        refusing = false;
        dropping = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (refusing) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket();
                upstream.connect(target, 2000);
                sockets.add(client);
                sockets.add(upstream);
                pump("up", () -> requests(client.getInputStream(), upstream.getOutputStream(), client, upstream));
                pump("down", () -> replies(upstream.getInputStream(), client.getOutputStream()));
            } catch (IOException e) {
                // closed
            }
        }
    }

    private interface Pump {
        void run() throws IOException;
    }

    private void pump(String name, Pump p) {
        Thread t = new Thread(() -> {
            try {
                p.run();
            } catch (IOException | RuntimeException e) {
                // a closed socket ends the pump
            }
        }, "cutting-proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    /** Forwards length-prefixed frames; the first is the connect request, the others start with xid and op code. */
    private void requests(InputStream from, OutputStream to, Socket client, Socket upstream) throws IOException {
        DataInputStream in = new DataInputStream(from);
        boolean first = true;
        while (true) {
            int len = in.readInt();
            byte[] body = new byte[len];
            in.readFully(body);
            boolean multi = !first && len >= 8 && ByteBuffer.wrap(body, 4, 4).getInt() == MULTI
                    && (!registrationOnly || len >= 12 && ByteBuffer.wrap(body, 8, 4).getInt() == SET_DATA);
            first = false;
            boolean cutting = multi && armed;
            if (cutting) {
                armed = false;
                dropping = true;
                refusing = true;
            }
            to.write(ByteBuffer.allocate(4).putInt(len).array());
            to.write(body);
            to.flush();
            if (cutting) {
                try {
                    Thread.sleep(300); // the server commits it; its reply is dropped
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                client.close();
                upstream.close();
                cut.countDown();
                return;
            }
        }
    }

    private void replies(InputStream from, OutputStream to) throws IOException {
        byte[] buf = new byte[8192];
        for (int n; (n = from.read(buf)) >= 0; ) {
            if (!dropping) {
                to.write(buf, 0, n);
                to.flush();
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
