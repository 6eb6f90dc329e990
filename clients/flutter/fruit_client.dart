// The fruit classifier's mobile flow in Flutter (docs/mobile.md): sign in with Firebase Auth, upload the photo to
// uploads/<uid>/<name> with the Storage SDK, wait for what the classify_upload trigger writes (the classification,
// or an uploadErrors document saying why not) with a Firestore listener, and if nothing comes within
// resultTimeout ask the API to classify the upload itself (POST /api/classify {"storagePath"}).
//
// pubspec.yaml (FlutterFire): firebase_core, firebase_auth, cloud_firestore, firebase_storage,
// firebase_app_check (0.4 or later: the provider classes below), http, uuid.
// Copy this file into lib/ and call `FruitClient.start(debug: kDebugMode)` once, after
// WidgetsFlutterBinding.ensureInitialized() and before any other Firebase call.
import 'dart:async';
import 'dart:convert';
import 'dart:io' show Platform;
import 'dart:typed_data';

import 'package:cloud_firestore/cloud_firestore.dart';
import 'package:firebase_app_check/firebase_app_check.dart';
import 'package:firebase_auth/firebase_auth.dart';
import 'package:firebase_core/firebase_core.dart';
import 'package:firebase_storage/firebase_storage.dart';
import 'package:http/http.dart' as http;
import 'package:uuid/uuid.dart';

/// The server's answer about one photo: the fields of users/<uid>/classifications/<id> the app shows.
class Classification {
  const Classification({
    required this.id,
    required this.label,
    required this.confidence,
    required this.abstained, // true: show "not a fruit / not sure" rather than the label
    required this.modelVersion,
  });

  factory Classification.fromMap(String id, Map<String, dynamic> data) => Classification(
        id: id,
        label: data['label'] as String? ?? '',
        confidence: (data['confidence'] as num?)?.toDouble() ?? 0,
        abstained: data['abstained'] as bool? ?? false,
        modelVersion: data['modelVersion'] as String? ?? '',
      );

  final String id;
  final String label;
  final double confidence;
  final bool abstained;
  final String modelVersion;
}

/// What the app should do about a refusal (docs/mobile.md, "Errors to handle").
enum Remedy { retryLater, signInAgain, accountDisabled, chooseAnotherPhoto, updateApp, askAnAdmin, report }

/// A refusal in the API's words (its error code and message and, for 429 and 503, the seconds to wait), or one of the
/// client's own codes for what happens before the server sees anything (docs/mobile.md).
class FruitError implements Exception {
  FruitError(this.code, this.message, {this.retryAfterSeconds});

  final String code;
  final String message;
  final int? retryAfterSeconds;

  Remedy get remedy => switch (code) {
        'rate-limited' || 'unavailable' || 'org-model-unavailable' => Remedy.retryLater,
        'network-error' || 'upload-failed' || 'no-result' => Remedy.retryLater,
        'unauthenticated' || 'invalid-token' || 'token-expired' || 'token-revoked' || 'account-deleted' =>
          Remedy.signInAgain,
        'account-disabled' => Remedy.accountDisabled,
        'empty-image' || 'image-too-large' || 'unsupported-image' || 'corrupt-image' || 'too-many-pixels' =>
          Remedy.chooseAnotherPhoto,
        'app-check-missing' || 'app-check-invalid' => Remedy.updateApp,
        'feature-disabled' => Remedy.askAnAdmin,
        'upload-refused' => Remedy.report,
        _ => Remedy.report,
      };

  @override
  String toString() => 'FruitError($code): $message';
}

class FruitClient {
  FruitClient._(this._apiBase);

  static const uploadsFolder = 'uploads';
  static const maxUploadBytes = 10 * 1024 * 1024;
  static const acceptedTypes = {'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/heic': 'heic'};
  static const resultTimeout = Duration(seconds: 20);

  // Debug builds use the emulators (`scripts/dev`; ports from firebase.json) on the development machine, which the
  // Android emulator reaches at 10.0.2.2 and the iOS simulator at 127.0.0.1 (a phone: the machine's address).
  static const authPort = 9099;
  static const firestorePort = 8080;
  static const storagePort = 9199;
  static const hostingPort = 5000;

  final Uri _apiBase;
  FirebaseAuth get _auth => FirebaseAuth.instance;
  FirebaseFirestore get _db => FirebaseFirestore.instance;

  /// Call once, before any other Firebase call. `options`: DefaultFirebaseOptions.currentPlatform from
  /// `flutterfire configure`; debug builds use the emulators' demo project instead.
  static Future<FruitClient> start({required bool debug, FirebaseOptions? options}) async {
    if (debug) {
      final host = Platform.isAndroid ? '10.0.2.2' : '127.0.0.1';
      await Firebase.initializeApp(
        options: FirebaseOptions(
          apiKey: 'demo-api-key',
          appId: Platform.isAndroid ? '1:0:android:0' : '1:0:ios:0',
          messagingSenderId: '0',
          projectId: 'demo-fruit',
          storageBucket: 'demo-fruit.appspot.com',
        ),
      );
      // App Check has no emulator; the debug providers print a token to register in the console.
      await FirebaseAppCheck.instance.activate(
        providerAndroid: AndroidDebugProvider(),
        providerApple: AppleDebugProvider(),
      );
      await FirebaseAuth.instance.useAuthEmulator(host, authPort);
      FirebaseFirestore.instance.useFirestoreEmulator(host, firestorePort);
      await FirebaseStorage.instance.useStorageEmulator(host, storagePort);
      return FruitClient._(Uri.parse('http://$host:$hostingPort'));
    }
    final app = await Firebase.initializeApp(options: options);
    await FirebaseAppCheck.instance.activate(
      providerAndroid: AndroidPlayIntegrityProvider(),
      providerApple: AppleAppAttestWithDeviceCheckFallbackProvider(),
    );
    return FruitClient._(Uri.parse('https://${app.options.projectId}.web.app'));
  }

  /// Email and password when given, else an anonymous account (which gets a lower rate limit).
  Future<String> signIn({String? email, String? password}) async {
    final credential = (email != null && password != null)
        ? await _auth.signInWithEmailAndPassword(email: email, password: password)
        : await _auth.signInAnonymously();
    return credential.user!.uid;
  }

  /// Upload one photo and wait for its classification; throws FruitError with the API's code when refused.
  Future<Classification> classify(Uint8List photo, String contentType, {void Function(double)? onProgress}) async {
    final uid = _auth.currentUser?.uid;
    if (uid == null) throw FruitError('unauthenticated', 'Sign in first.');
    // The same limits storage.rules and the server apply, checked here so that a refused photo costs no upload.
    final extension = acceptedTypes[contentType];
    if (extension == null) throw FruitError('unsupported-image', 'Accepted types: ${acceptedTypes.keys.join(', ')}.');
    if (photo.isEmpty) throw FruitError('empty-image', 'The photo is empty.');
    if (photo.length > maxUploadBytes) throw FruitError('image-too-large', 'The photo is larger than 10 MB.');
    // A new name for every photo: the result is found by its uploadPath, and the API's storagePath accepts only
    // letters, digits, '.', '-' and '_' in a name.
    final path = '$uploadsFolder/$uid/${const Uuid().v4()}.$extension';
    final upload = FirebaseStorage.instance.ref(path).putData(photo, SettableMetadata(contentType: contentType));
    final progress = upload.snapshotEvents.listen((s) => onProgress?.call(s.bytesTransferred / s.totalBytes));
    try {
      await upload; // the native SDKs retry a dropped connection for up to maxUploadRetryTime (10 minutes)
    } on FirebaseException catch (error) {
      if (error.code == 'unauthorized' || error.code == 'unauthenticated') {
        throw FruitError('upload-refused', 'Storage refused the upload (storage.rules): sign in, and send one image within the limits.');
      }
      throw FruitError('upload-failed', 'The upload did not complete (${error.code}): try again when online.');
    } finally {
      await progress.cancel();
    }
    return await _outcome(uid, path) ?? await _classifyStored(uid, path);
  }

  Query<Map<String, dynamic>> _resultQuery(String uid, String collection, String path) =>
      _db.collection('users').doc(uid).collection(collection).where('uploadPath', isEqualTo: path).limit(1);

  static FruitError _uploadError(Map<String, dynamic> data) {
    final error = data['error'] as Map<String, dynamic>? ?? {};
    return FruitError(error['code'] as String? ?? '', error['message'] as String? ?? '');
  }

  /// The first of: the classification the trigger wrote for this upload, or the uploadErrors document saying why
  /// it could not (thrown as a FruitError). Both documents carry the upload's path in `uploadPath`. Null when
  /// neither came within resultTimeout, or a listener failed: the API fallback then answers, with a clear error if
  /// there is one.
  Future<Classification?> _outcome(String uid, String path) async {
    final answer = Completer<Classification?>();
    void settle(Classification? classification) {
      if (!answer.isCompleted) answer.complete(classification);
    }

    final subscriptions = [
      _resultQuery(uid, 'classifications', path).snapshots().listen(
        (snapshot) {
          if (snapshot.docs.isEmpty) return;
          settle(Classification.fromMap(snapshot.docs.first.id, snapshot.docs.first.data()));
        },
        onError: (Object _) => settle(null),
      ),
      _resultQuery(uid, 'uploadErrors', path).snapshots().listen(
        (snapshot) {
          if (snapshot.docs.isEmpty || answer.isCompleted) return;
          answer.completeError(_uploadError(snapshot.docs.first.data()));
        },
        onError: (Object _) => settle(null),
      ),
    ];
    try {
      return await answer.future.timeout(resultTimeout);
    } on TimeoutException {
      return null;
    } finally {
      await Future.wait(subscriptions.map((subscription) => subscription.cancel()));
    }
  }

  /// The trigger has not answered in time (a cold start, a backlog, a lost event): the API classifies the upload
  /// now. Racing the trigger is safe: both derive the same document id from the object.
  Future<Classification> _classifyStored(String uid, String path) async {
    try {
      return await _postClassify(path);
    } on FruitError catch (error) {
      if (error.code != 'upload-not-found') rethrow;
      // The trigger took the upload in the meantime; it writes its document before it removes the upload.
      final classified = await _resultQuery(uid, 'classifications', path).get();
      if (classified.docs.isNotEmpty) return Classification.fromMap(classified.docs.first.id, classified.docs.first.data());
      final refused = await _resultQuery(uid, 'uploadErrors', path).get();
      if (refused.docs.isNotEmpty) throw _uploadError(refused.docs.first.data());
      throw FruitError('no-result', 'The upload was neither classified nor refused: upload the photo again.');
    }
  }

  Future<Classification> _postClassify(String storagePath) async {
    final idToken = await _auth.currentUser!.getIdToken();
    String? appCheckToken;
    try {
      appCheckToken = await FirebaseAppCheck.instance.getToken();
    } on FirebaseException {
      appCheckToken = null; // where the API enforces App Check it answers app-check-missing, which the app handles
    }
    final http.Response response;
    try {
      response = await http.post(
        _apiBase.resolve('/api/classify'),
        headers: {
          'Content-Type': 'application/json',
          'Authorization': 'Bearer $idToken',
          if (appCheckToken != null) 'X-Firebase-AppCheck': appCheckToken,
        },
        body: jsonEncode({'storagePath': storagePath}),
      );
    } on http.ClientException catch (error) {
      throw FruitError('network-error', 'The API at $_apiBase could not be reached: ${error.message}');
    }
    final body = response.body.isEmpty ? <String, dynamic>{} : jsonDecode(response.body) as Map<String, dynamic>;
    if (response.statusCode == 201) return Classification.fromMap(body['id'] as String, body);
    final error = body['error'] as Map<String, dynamic>? ?? {};
    throw FruitError(
      error['code'] as String? ?? 'http-${response.statusCode}',
      error['message'] as String? ?? '',
      retryAfterSeconds: int.tryParse(response.headers['retry-after'] ?? ''),
    );
  }
}
